package config

import (
	"errors"
	"net"
	"strconv"

	"gopkg.in/yaml.v3"
)

func (p *parser) listen(n *yaml.Node, s string) {
	_, port, err := net.SplitHostPort(s)
	if err == nil {
		var num int
		num, err = strconv.Atoi(port)
		if err == nil && (num < 0 || num > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		p.errorf(n, "listen", "%s is not host:port; write e.g. %s or :8787 for every interface", p.show(n, s), DefaultListen)
	}
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
