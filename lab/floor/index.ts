/**
 * An empty program: no resource, no output. The benchmark times its `up` with
 * the same engine, language host and backend as the real program's, so that
 * what is left over is the engine's own floor.
 */
import "@pulumi/pulumi";
