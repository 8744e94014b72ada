import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkUrlFor, describeRollout, rolloutBatches } from "./plan";

describe("rollout plan", () => {
    const hosts = ["lb1", "lb2", "lb3", "lb4", "lb5"];
    it("0 is one batch of every host; N is batches of N in the order of hosts, the last one shorter", () => {
        assert.deepEqual(rolloutBatches(hosts, 0), [hosts]);
        assert.deepEqual(rolloutBatches(hosts, 1), [["lb1"], ["lb2"], ["lb3"], ["lb4"], ["lb5"]]);
        assert.deepEqual(rolloutBatches(hosts, 2), [["lb1", "lb2"], ["lb3", "lb4"], ["lb5"]]);
        assert.deepEqual(rolloutBatches(hosts, 9), [hosts]);
        assert.deepEqual(rolloutBatches([], 1), []);
    });
    it("says the order in words", () => {
        assert.equal(
            describeRollout(["lb1", "lb2", "lb3"], 1),
            "rolling, one host at a time: lb1, then lb2, then lb3; each batch waits for the one before it to pass its health gate",
        );
        assert.equal(
            describeRollout(hosts, 2),
            "rolling, 2 hosts at a time: lb1 + lb2, then lb3 + lb4, then lb5; each batch waits for the one before it to pass its health gate",
        );
        assert.equal(describeRollout(["lb1", "lb2"], 0), "all hosts at once: lb1, lb2");
    });
    it("puts each host's address into the check URL", () => {
        assert.equal(checkUrlFor("http://{address}:8080/health?from={address}", "198.18.2.2"), "http://198.18.2.2:8080/health?from=198.18.2.2");
        assert.equal(checkUrlFor("https://www.example.com/", "198.18.2.2"), "https://www.example.com/");
    });
});
