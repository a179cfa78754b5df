package link

import (
	"context"
	"math/rand/v2"
	"net"
	"net/url"
)

// balancer spreads calls over the addresses a name resolves to. Replicas
// share one DNS alias; the transport pools connections per host, so
// without this a kept-alive connection would pin every call to one replica.
// Dialling a picked address keeps connection reuse, per replica.
//
// It resolves on every call, on purpose: a cached address of a container
// that just died turns "no such host" into a slow timeout, and showing
// exactly how a chain broke is the point of this service.
type balancer struct {
	resolver *net.Resolver
}

func newBalancer() *balancer {
	return &balancer{resolver: net.DefaultResolver}
}

// pick returns base with its host replaced by one of its addresses.
func (b *balancer) pick(ctx context.Context, base *url.URL) (string, error) {
	host := base.Hostname()
	if net.ParseIP(host) != nil {
		return base.String(), nil
	}
	addrs, err := b.resolver.LookupHost(ctx, host)
	if err != nil {
		return "", err
	}
	u := *base
	ip := addrs[rand.IntN(len(addrs))]
	if port := base.Port(); port != "" {
		u.Host = net.JoinHostPort(ip, port)
	} else if net.ParseIP(ip).To4() == nil {
		u.Host = "[" + ip + "]"
	} else {
		u.Host = ip
	}
	return u.String(), nil
}
