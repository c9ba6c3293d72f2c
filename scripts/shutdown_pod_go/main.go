// A pod's gRPC server in grpc-go for scripts/shutdown_rollout.ts (MODES=keepalive GO_POD=<this binary>):
// `shutdown-pod-go NAME IP:PORT MIN_PING_MS`. The methods of scripts/shutdown_pod.mjs (JSON bodies, any codec
// name), keepalive enforced as grpc-go does by default but with MinTime MIN_PING_MS (a client pinging more often
// gets a GOAWAY "too_many_pings"; PermitWithoutStream false); SIGTERM: GracefulStop(), exit after 30 s at most.
// Build it offline with the grpc-go of the control plane's module graph (v1.79.3):
//
//	mkdir /tmp/pod-go && cp scripts/shutdown_pod_go/main.go scripts/control_plane/kube-apiserver/go.* /tmp/pod-go
//	cd /tmp/pod-go && sed -i 's#^module .*#module shutdownpod#; /^tool (/,/^)/d' go.mod
//	GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off go build -o shutdown-pod-go .
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(d []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), d...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

func main() {
	name, addr := os.Args[1], os.Args[2]
	minPing, _ := strconv.Atoi(os.Args[3])
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		panic(err)
	}
	handler := func(_ any, stream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(stream)
		var req []byte
		if err := stream.RecvMsg(&req); err != nil {
			return err
		}
		if method == "/s.S/Echo" {
			time.Sleep(5 * time.Millisecond)
			resp := []byte(fmt.Sprintf(`{"pod":%q}`, name))
			return stream.SendMsg(&resp)
		}
		for i := 1; i <= 600; i++ {
			select {
			case <-stream.Context().Done():
				return stream.Context().Err()
			case <-time.After(100 * time.Millisecond):
			}
			resp := []byte(fmt.Sprintf(`{"pod":%q,"sent":%d}`, name, i))
			if err := stream.SendMsg(&resp); err != nil {
				return err
			}
		}
		return nil
	}
	server := grpc.NewServer(
		grpc.ForceServerCodec(rawCodec{}),
		grpc.UnknownServiceHandler(handler),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Duration(minPing) * time.Millisecond}),
	)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM)
	go func() {
		<-signals
		go func() { time.Sleep(30 * time.Second); os.Exit(0) }()
		server.GracefulStop()
		os.Exit(0)
	}()
	fmt.Println("ready")
	server.Serve(lis)
}
