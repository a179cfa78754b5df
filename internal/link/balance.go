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
//
// On a network without IPv6 it asks for A records only: half the queries
// to Docker's DNS server, which is most of a hop's cost under load.
type balancer struct {
	resolver *net.Resolver
	network  string // "ip4" or "ip"
}

func newBalancer() *balancer {
	return &balancer{resolver: net.DefaultResolver, network: lookupNetwork(net.InterfaceAddrs)}
}

// lookupNetwork is "ip" when an interface has a global IPv6 address, else
// "ip4".
func lookupNetwork(addrs func() ([]net.Addr, error)) string {
	as, err := addrs()
	if err != nil {
		return "ip"
	}
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() == nil && n.IP.IsGlobalUnicast() {
			return "ip"
		}
	}
	return "ip4"
}

// pick returns base with its host replaced by one of its addresses.
func (b *balancer) pick(ctx context.Context, base *url.URL) (string, error) {
	host := base.Hostname()
	if net.ParseIP(host) != nil {
		return base.String(), nil
	}
	addrs, err := b.resolver.LookupIP(ctx, b.network, host)
	if err != nil {
		return "", err
	}
	u := *base
	ip := addrs[rand.IntN(len(addrs))].String()
	if port := base.Port(); port != "" {
		u.Host = net.JoinHostPort(ip, port)
	} else if net.ParseIP(ip).To4() == nil {
		u.Host = "[" + ip + "]"
	} else {
		u.Host = ip
	}
	return u.String(), nil
}
