// Command etcd is etcd's own server entry point, built from the go.etcd.io/etcd/server/v3
// module (the repository's root module has replace lines, so `go install` refuses it).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
