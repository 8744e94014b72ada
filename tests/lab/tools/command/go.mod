// pulumi-resource-command 1.2.1, built by scripts/build-tools.sh where the Go
// module proxy serves it (it refuses it here: 403). The provider module has no
// tags of its own: the pseudo-version names the repository's v1.2.1 tag commit.
// Its go.mod has no replace lines. No go.sum: it cannot be resolved here.
module lab.invalid/tools/command

go 1.25.0

require github.com/pulumi/pulumi-command/provider v0.0.0-20260303235922-7f3eb6f3b77c

tool github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command
