//go:build tools

// Package deps keeps the chosen modules in go.mod while the packages that use them are written.
package deps

import (
	_ "github.com/expr-lang/expr"
	_ "github.com/google/cel-go/cel"
	_ "github.com/google/nftables"
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/hashicorp/go-retryablehttp"
	_ "github.com/miekg/dns"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/robfig/cron/v3"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/schollz/progressbar/v3"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/testsuite"
	_ "go.temporal.io/sdk/worker"
	_ "go.temporal.io/server/temporal"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	_ "google.golang.org/grpc"
	_ "google.golang.org/protobuf/proto"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
