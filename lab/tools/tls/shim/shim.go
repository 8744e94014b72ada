// Package shim exposes the Terraform TLS provider to the Pulumi bridge, as
// pulumi-tls's own shim directory does: only a module under
// github.com/hashicorp/terraform-provider-tls may import its internal package.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// NewProvider returns the upstream Terraform provider.
func NewProvider() provider.Provider { return upstream.New() }
