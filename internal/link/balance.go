package link

import (
	"context"
	"math/rand/v2"
	"net"
	"net/url"
	"sync"
	"time"
)

// balancer spreads calls over the addresses a name resolves to. Replicas
// share one DNS alias; the transport pools connections per host, so
// without this a kept-alive connection would pin every call to one replica.
// Dialling a picked address keeps connection reuse, per replica.
type balancer struct {
	ttl      time.Duration
	resolver *net.Resolver
	mu       sync.Mutex
	cache    map[string]resolved
}

type resolved struct {
	addrs []string
	at    time.Time
}

func newBalancer(ttl time.Duration) *balancer {
	return &balancer{ttl: ttl, resolver: net.DefaultResolver, cache: map[string]resolved{}}
}

// pick returns base with its host replaced by one of its addresses.
func (b *balancer) pick(ctx context.Context, base *url.URL) (string, error) {
	host := base.Hostname()
	if net.ParseIP(host) != nil {
		return base.String(), nil
	}
	addrs, err := b.lookup(ctx, host)
	if err != nil {
		return "", err
	}
	u := *base
	ip := addrs[rand.IntN(len(addrs))]
	if port := base.Port(); port != "" {
		u.Host = net.JoinHostPort(ip, port)
	} else {
		u.Host = ip
		if len(ip) > 0 && ip[0] != '[' && net.ParseIP(ip).To4() == nil {
			u.Host = "[" + ip + "]"
		}
	}
	return u.String(), nil
}

func (b *balancer) lookup(ctx context.Context, host string) ([]string, error) {
	b.mu.Lock()
	r, ok := b.cache[host]
	b.mu.Unlock()
	if ok && time.Since(r.at) < b.ttl {
		return r.addrs, nil
	}
	addrs, err := b.resolver.LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.cache[host] = resolved{addrs: addrs, at: time.Now()}
	b.mu.Unlock()
	return addrs, nil
}
