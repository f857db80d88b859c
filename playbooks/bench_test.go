package playbooks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
)

// The benchmarks of docs/performance.md. Reproduce with:
//   go test ./playbooks -run '^$' -bench . -benchmem -count 1

const benchCondition = `indicator.confidence >= 70 && indicator.tlp != "red" && !("benign" in indicator.tags) && indicator.type == "ipv4"`

// benchConditionExpr is benchCondition in expr's syntax, over the same Env.
const benchConditionExpr = `indicator.confidence >= 70 && indicator.tlp != "red" && !("benign" in indicator.tags) && indicator.type == "ipv4"`

func benchEnv() *Env {
	return &Env{Indicator: &Indicator{ID: "ind-1", Type: "ipv4", Value: "203.0.113.9", TLP: "amber",
		Confidence: 90, ThreatRating: 4, Tags: []string{"c2", "botnet"}}, Priority: 80}
}

func mustCompile(tb testing.TB, src string) *Playbook {
	tb.Helper()
	pb, ds := Compile("bench.yaml", []byte(src), Options{})
	if pb == nil {
		tb.Fatalf("compile: %s", ds.Error())
	}
	return pb
}

func BenchmarkCondCEL(b *testing.B) {
	pb := mustCompile(b, "name: b\non: {indicator: {types: [ipv4]}}\nwhen: '"+benchCondition+"'\nsteps:\n  - {id: w, wait: 1m}\n")
	env := benchEnv()
	b.ReportAllocs()
	for b.Loop() {
		ok, err := pb.When.Eval(env)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkCondExpr(b *testing.B) {
	prog, err := expr.Compile(benchConditionExpr, append(exprOptions, expr.AsBool())...)
	if err != nil {
		b.Fatal(err)
	}
	env := benchEnv()
	b.ReportAllocs()
	for b.Loop() {
		out, err := expr.Run(prog, env)
		if err != nil || out != true {
			b.Fatal(out, err)
		}
	}
}

const benchWith = `name: b
on: {indicator: {types: [ipv4]}}
steps:
  - id: block
    uses: firewall/block
    with:
      addresses: ["${{ indicator.value }}"]
      expires: 72h
      comment: "rampart ${{ indicator.id }} confidence ${{ indicator.confidence }}"
`

func BenchmarkRenderWith3(b *testing.B) {
	pb := mustCompile(b, benchWith)
	env := benchEnv()
	w := pb.Steps[0].With
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.Render(env); err != nil {
			b.Fatal(err)
		}
	}
}

// tenSteps is a realistic 10-step playbook: conditions, templates, a parallel block, a loop.
func tenSteps(salt int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `name: ten-steps
description: salt %d
on: {indicator: {types: [ipv4, domain]}}
when: indicator.confidence >= 70 && indicator.tlp != "red"
priority: indicator.threat_rating * 20
concurrency: {key: "${{ indicator.value }}"}
steps:
  - id: enrich
    uses: core/http
    with: {url: "https://enrich.example.net/${{ indicator.value }}"}
  - id: score
    set: {score: "${{ steps.enrich.output.score }}"}
  - id: approve
    if: vars.score < 80
    approval: {message: "Block ${{ indicator.value }}?", approvers: [role:analyst], timeout: 1h}
  - id: both
    parallel:
      - id: block
        uses: firewall/block
        with: {addresses: ["${{ indicator.value }}"], comment: "score ${{ vars.score }}"}
      - id: sinkhole
        if: indicator.type == "domain"
        uses: dnssinkhole/sinkhole
        with: {domains: ["${{ indicator.value }}"]}
  - id: loop
    uses: ticketing/comment
    for_each: ${{ indicator.tags }}
    with: {text: "tag ${{ item }} (${{ index }})"}
  - id: pause
    wait: 10m
  - id: ticket
    if: steps.block.status == "succeeded"
    uses: ticketing/create
    with: {title: "Blocked ${{ indicator.value }}", severity: '${{ priority >= 80 ? "high" : "low" }}'}
    on_error: continue
  - id: done
    set: {finished: true}
`, salt)
	return sb.String()
}

func BenchmarkCompile10StepsCold(b *testing.B) {
	src := []byte(tenSteps(0))
	if pb, ds := Compile("ten.yaml", src, Options{}); pb == nil {
		b.Fatal(ds.Error())
	}
	b.ReportAllocs()
	for b.Loop() {
		if pb, _ := Compile("ten.yaml", src, Options{}); pb == nil {
			b.Fatal("no playbook")
		}
	}
}

func BenchmarkCompile10StepsCached(b *testing.B) {
	src := []byte(tenSteps(0))
	if pb, ds := CompileCached("ten.yaml", src, Options{}); pb == nil {
		b.Fatal(ds.Error())
	}
	b.ReportAllocs()
	for b.Loop() {
		if pb, _ := CompileCached("ten.yaml", src, Options{}); pb == nil {
			b.Fatal("no playbook")
		}
	}
}
