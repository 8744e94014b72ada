import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tlsWiring } from "./host";
import { PATHS } from "./shared/paths";

describe("the TLS plan, as one host's steps read it", () => {
    it("off: plain HTTP, no certificate, no verification in HAProxy's backend", () => {
        assert.deepEqual(tlsWiring({ mode: "off" }, "lb1", "198.18.1.2"), {
            https: false,
            certificate: { kind: "none" },
            probeHost: "lb1",
            backend: undefined,
        });
    });
    it("a private CA: a certificate from it; the probe and HAProxy verify the host's name against the CA file the deployment writes", () => {
        assert.deepEqual(tlsWiring({ mode: "private-ca" }, "lb1", "198.18.1.2"), {
            https: true,
            certificate: { kind: "private-ca" },
            probeHost: "lb1",
            probeCaFile: PATHS.tlsCa,
            backend: { caFile: PATHS.tlsCa, serverName: "lb1" },
        });
    });
    it("the user's own certificate: that certificate and key; the advertised name, verified against the system's CAs", () => {
        const keyPem = pulumi.output("k");
        const own = { mode: "own-certificate" as const, certPem: "-----BEGIN CERTIFICATE-----", keyPem };
        assert.deepEqual(tlsWiring(own, "lb1", "lb.example.com"), {
            https: true,
            certificate: { kind: "own", certPem: "-----BEGIN CERTIFICATE-----", keyPem },
            probeHost: "lb.example.com",
            backend: { systemCa: true },
        });
    });
});
