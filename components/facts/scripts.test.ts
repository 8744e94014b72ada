import { describe } from "node:test";
import { itPassesShellcheck } from "../testing/shellcheck";
import { hostFactsScript } from "./scripts";

describe("host facts script", () => {
    itPassesShellcheck({ hostFacts: hostFactsScript() });
});
