import { describe } from "node:test";
import { itPassesShellcheck } from "../testing/shellcheck";
import { installBinaryScript, removeBinaryScript } from "./scripts";

describe("binary scripts", () => {
    itPassesShellcheck({
        installBinaryDownload: installBinaryScript({
            version: "3.2.1",
            sha256: { x86_64: "a".repeat(64), arm64: "b".repeat(64) },
            baseUrl: "https://example.test/releases/download",
        }),
        installBinaryUpload: installBinaryScript({
            version: "3.2.1",
            sha256: { x86_64: "a".repeat(64) },
            arch: "x86_64",
            uploadedArchive: "/tmp/dataplaneapi-upload-aaaa.tar.gz",
        }),
        removeBinary: removeBinaryScript(),
    });
});
