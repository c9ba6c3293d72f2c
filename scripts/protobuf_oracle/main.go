// Command protobuf-oracle decodes kube-apiserver's protobuf answers with the generated code of k8s.io/api and
// k8s.io/apimachinery v0.36.3, for scripts/fuzz_protobuf.ts to hold our decoder to. Each input line is a kind
// (list, status or event) and the bytes in base64; each output line is {"ok": the object as Go's JSON gives it,
// with the envelope's kind and apiVersion} or {"err": why Go refuses it}.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

var magic = []byte{0x6b, 0x38, 0x73, 0x00}

type unmarshaler interface {
	Reset()
	Unmarshal([]byte) error
}

func envelope(b []byte) (*runtime.Unknown, error) {
	if !bytes.HasPrefix(b, magic) {
		return nil, fmt.Errorf("no magic")
	}
	u := &runtime.Unknown{}
	if err := u.Unmarshal(b[4:]); err != nil {
		return nil, err
	}
	if u.ContentEncoding != "" || u.ContentType != "" {
		return nil, fmt.Errorf("encoded")
	}
	return u, nil
}

func object(u *runtime.Unknown, want string) (map[string]any, error) {
	var o unmarshaler
	switch u.Kind {
	case "Status":
		o = &metav1.Status{}
	case want:
		if want == "EndpointSlice" {
			o = &discoveryv1.EndpointSlice{}
		} else {
			o = &discoveryv1.EndpointSliceList{}
		}
	default:
		return nil, fmt.Errorf("kind %q", u.Kind)
	}
	o.Reset()
	if err := o.Unmarshal(u.Raw); err != nil {
		return nil, err
	}
	// Managed fields hold raw JSON the resolver never reads: left out of the comparison.
	switch v := o.(type) {
	case *discoveryv1.EndpointSlice:
		v.ManagedFields = nil
	case *discoveryv1.EndpointSliceList:
		for i := range v.Items {
			v.Items[i].ManagedFields = nil
		}
	}
	j, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	if u.Kind != "" {
		m["kind"] = u.Kind
	}
	if u.APIVersion != "" {
		m["apiVersion"] = u.APIVersion
	}
	return m, nil
}

func decode(kind string, b []byte) (any, error) {
	switch kind {
	case "event":
		e := &metav1.WatchEvent{}
		if err := e.Unmarshal(b); err != nil {
			return nil, err
		}
		u, err := envelope(e.Object.Raw)
		if err != nil {
			return nil, err
		}
		o, err := object(u, "EndpointSlice")
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": e.Type, "object": o}, nil
	case "list":
		u, err := envelope(b)
		if err != nil {
			return nil, err
		}
		if u.Kind != "EndpointSliceList" {
			return nil, fmt.Errorf("kind %q", u.Kind)
		}
		return object(u, "EndpointSliceList")
	default:
		u, err := envelope(b)
		if err != nil {
			return nil, err
		}
		if u.Kind != "Status" {
			return nil, fmt.Errorf("kind %q", u.Kind)
		}
		return object(u, "Status")
	}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		kind, data, _ := strings.Cut(in.Text(), " ")
		b, err := base64.StdEncoding.DecodeString(data)
		var v any
		if err == nil {
			func() {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panic: %v", r)
					}
				}()
				v, err = decode(kind, b)
			}()
		}
		if err != nil {
			enc.Encode(map[string]any{"err": err.Error()})
		} else {
			enc.Encode(map[string]any{"ok": v})
		}
		out.Flush()
	}
}
