# Rampart's build. `make run` and `make test` are the README's two commands.
GO       ?= go
BIN      := bin
PLUGINS  := firewall dnssinkhole ticketing
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build plugins run test race lint bench proto fuzz clean

build: plugins
	$(GO) build -o $(BIN)/rampart ./cmd/rampart

# The bundled plugins are separate binaries, built beside rampart.
plugins:
	@mkdir -p $(BIN)
	@for p in $(PLUGINS); do \
		if [ -d plugins/$$p ]; then $(GO) build -o $(BIN)/rampart-plugin-$$p ./plugins/$$p || exit 1; fi; \
	done

# Runs Rampart on its embedded defaults (SQLite and an in-process Temporal server in ./data).
run: build
	./$(BIN)/rampart serve

# The whole test suite, with the race detector, as CI runs it.
test:
	$(GO) test -race -timeout 40m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Regenerates actions/actionv1 from action.proto: needs protoc (apt protobuf-compiler) and
# go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
# go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.0
proto:
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" $(GO) generate ./actions/...

clean:
	rm -rf $(BIN)
