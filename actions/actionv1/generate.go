// Package actionv1 is the generated code of the plugin protocol rampart.action.v1
// (action.proto). Regenerate with `make proto`; CI does not run protoc, so the generated
// files are committed.
package actionv1

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative action.proto
