// Command kuberesolver-bench drives github.com/sercand/kuberesolver/v6 for the
// benchmarks in scripts/bench.ts: it builds resolvers directly (no gRPC dial,
// so no endpoint address is ever contacted) with a resolver.ClientConn of its
// own that prints every update with a wall-clock timestamp.
//
// Output, one line each, all times in milliseconds since the Unix epoch:
//
//	first <elapsed ms> <addresses>   every resolver got its first non-empty update
//	u <time> <marker>                 an update of resolver 0 that contains a marker address
//	n <time> <addresses>              an update of resolver 0 (count of addresses)
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sercand/kuberesolver/v6"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
)

// apiClient implements kuberesolver.K8sClient for a server given on the command line.
type apiClient struct {
	host      string
	token     string
	http      *http.Client
	watchPath bool
}

func (c *apiClient) GetRequest(target string) (*http.Request, error) {
	if !strings.HasPrefix(target, c.host) {
		target = c.host + "/" + strings.TrimPrefix(target, "/")
	}
	if !c.watchPath {
		// The fake API server serves only ?watch=true, not the older /watch/ path prefix.
		target = rewriteWatchPath(target)
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

func (c *apiClient) Do(req *http.Request) (*http.Response, error) { return c.http.Do(req) }

func (c *apiClient) Host() string { return c.host }

func rewriteWatchPath(target string) string {
	u, err := url.Parse(target)
	if err != nil || !strings.Contains(u.Path, "/v1/watch/") {
		return target
	}
	u.Path = strings.Replace(u.Path, "/v1/watch/", "/v1/", 1)
	q := u.Query()
	q.Set("watch", "true")
	u.RawQuery = q.Encode()
	return u.String()
}

// clientConn is the resolver.ClientConn each resolver reports to.
type clientConn struct {
	index   int
	marker  string
	got     *atomic.Bool
	onFirst func()
	out     *output
}

func (cc *clientConn) UpdateState(state resolver.State) error {
	now := time.Now().UnixNano()
	if len(state.Addresses) > 0 && cc.got.CompareAndSwap(false, true) {
		cc.onFirst()
	}
	if cc.index != 0 {
		return nil
	}
	cc.out.line(fmt.Sprintf("n %.3f %d", float64(now)/1e6, len(state.Addresses)))
	for _, address := range state.Addresses {
		if strings.HasPrefix(address.Addr, cc.marker) {
			host := address.Addr[:strings.LastIndex(address.Addr, ":")]
			cc.out.line(fmt.Sprintf("u %.3f %s", float64(now)/1e6, host))
		}
	}
	return nil
}

func (cc *clientConn) ReportError(err error) {
	fmt.Fprintf(os.Stderr, "resolver %d error: %v\n", cc.index, err)
}

func (cc *clientConn) NewAddress(addresses []resolver.Address) {
	_ = cc.UpdateState(resolver.State{Addresses: addresses})
}

func (cc *clientConn) ParseServiceConfig(string) *serviceconfig.ParseResult {
	return &serviceconfig.ParseResult{}
}

type output struct{ mu sync.Mutex }

func (o *output) line(text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	os.Stdout.WriteString(text + "\n")
}

func main() {
	server := flag.String("server", "", "API server URL")
	token := flag.String("token", "", "bearer token")
	caFile := flag.String("ca", "", "CA file for https servers")
	namespace := flag.String("namespace", "default", "namespace of the services")
	services := flag.String("services", "", "comma-separated service names")
	perService := flag.Int("per-service", 1, "resolvers per service")
	marker := flag.String("marker", "10.200.", "address prefix whose updates are printed")
	watchPath := flag.Bool("watch-path", true, "use the /watch/ path prefix (false for the fake server)")
	maxSeconds := flag.Int("max-seconds", 900, "exit after this long in any case")
	flag.Parse()

	transport := &http.Transport{MaxIdleConnsPerHost: 1000}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		transport.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	client := &apiClient{host: *server, token: *token, http: &http.Client{Transport: transport}, watchPath: *watchPath}
	builder := kuberesolver.NewBuilder(client, "kubernetes")

	names := strings.Split(*services, ",")
	total := len(names) * *perService
	var remaining atomic.Int64
	remaining.Store(int64(total))
	start := time.Now()
	out := &output{}
	onFirst := func() {
		if remaining.Add(-1) == 0 {
			out.line(fmt.Sprintf("first %.3f %d", float64(time.Since(start).Microseconds())/1000, total))
		}
	}
	index := 0
	for _, name := range names {
		for i := 0; i < *perService; i++ {
			target, _ := url.Parse(fmt.Sprintf("kubernetes:///%s.%s:grpc", name, *namespace))
			cc := &clientConn{index: index, marker: *marker, got: &atomic.Bool{}, onFirst: onFirst, out: out}
			if _, err := builder.Build(resolver.Target{URL: *target}, cc, resolver.BuildOptions{}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			index++
		}
	}
	// Ends when stdin closes (the benchmark is done with us) or after maxSeconds.
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 64)
		for {
			if _, err := os.Stdin.Read(buf); err != nil {
				close(done)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Duration(*maxSeconds) * time.Second):
	}
}
