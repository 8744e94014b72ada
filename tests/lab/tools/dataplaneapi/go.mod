// The Data Plane API 3.2.1, built by scripts/build-tools.sh where the Go module
// proxy serves it (it refuses it here: 403). The module path has no /v3 suffix,
// so the release tag cannot be a module version: the pseudo-version names the
// v3.2.1 tag commit 32af2b443ecd (base v1.2.4, its newest v1 ancestor tag).
// Its go.mod has no replace lines. No go.sum: it cannot be resolved here.
module lab.invalid/tools/dataplaneapi

go 1.24

require github.com/haproxytech/dataplaneapi v1.2.5-0.20250616105413-32af2b443ecd

tool github.com/haproxytech/dataplaneapi/cmd/dataplaneapi
