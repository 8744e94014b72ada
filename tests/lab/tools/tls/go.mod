// pulumi-resource-tls 5.5.1, built by scripts/build-tools.sh where the Go
// module proxy serves it (it refuses it here: 403). provider/v5 has no tags of
// its own: the pseudo-version names the repository's v5.5.1 tag commit. The
// first replace line is provider/v5's own; its shim module is a directory no
// module zip holds, so it is ./shim here. The command package is copied from
// the module at build time, to generate the schema file it embeds (see
// build-tools.sh). No go.sum: it cannot be resolved here.
module lab.invalid/tools/tls

go 1.25.11

require github.com/pulumi/pulumi-tls/provider/v5 v5.0.0-20260722185624-c3b9a61e7075

replace (
	github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 v2.0.0-20260318212141-5525259d096b
	github.com/hashicorp/terraform-provider-tls/shim => ./shim
)

tool lab.invalid/tools/tls/cmd/pulumi-resource-tls
