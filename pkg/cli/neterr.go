package cli

import (
	"errors"
	"fmt"
	"net"
)

// ListenError says in one line why nothing could listen on addr, without
// the layers of prefixes a listen error collects on its way up ("webssh
// listen: listen tcp: lookup bogus on 10.0.0.53:53: no such host" becomes
// "cannot listen on bogus:8001: no such host bogus").
func ListenError(addr string, err error) error {
	var dns *net.DNSError
	var ae *net.AddrError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		return fmt.Errorf("cannot listen on %s: no such host %s", addr, dns.Name)
	case errors.As(err, &ae):
		return fmt.Errorf("cannot listen on %s: %s", addr, ae.Err)
	case errors.As(err, &op) && op.Err != nil:
		inner := op.Err
		for {
			u := errors.Unwrap(inner)
			if u == nil {
				break
			}
			inner = u
		}
		return fmt.Errorf("cannot listen on %s: %w", addr, inner)
	}
	return fmt.Errorf("cannot listen on %s: %w", addr, err)
}
