// Command nginxconf prints an nginx.conf that proxies like the LuoYun
// cloud's front end (internal/nginxtest: exactly the template's directives
// in `location /`), for bench/webssh.sh.
//
// Usage:
//
//	nginxconf -dir DIR -listen 127.0.0.1:PORT -backend 127.0.0.1:PORT > DIR/nginx.conf
//	nginx -p DIR -c DIR/nginx.conf -e DIR/error.log
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/luoyun/osmanager/internal/nginxtest"
)

func main() {
	dir := flag.String("dir", "", "directory for nginx's pid, logs and temporary files")
	listen := flag.String("listen", "", "address nginx listens on")
	backend := flag.String("backend", "", "the instance's host:port")
	flag.Parse()
	if *dir == "" || *listen == "" || *backend == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: nginxconf -dir DIR -listen ADDR -backend HOST:PORT")
		os.Exit(2)
	}
	fmt.Print(nginxtest.Config(*dir, *listen, *backend))
}
