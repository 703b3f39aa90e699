package store

// eventKey is the unique key of an event uuid in the events table: a bijection that moves the timestamp
// of a version-1 uuid (Okta's, e.g. e766d84e-a0a8-11ed-a750-9f5fc296ce63) to the front, so keys of new
// events sort after older ones. Any other string is kept as is; the "1:" and "0:" prefixes keep the two
// forms from colliding.
func eventKey(u string) string {
	if isV1(u) {
		// time_hi (after the version digit), time_mid, time_low, then clock sequence and node.
		return "1:" + u[15:18] + u[9:13] + u[0:8] + u[19:23] + u[24:36]
	}
	return "0:" + u
}

func isV1(u string) bool {
	if len(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-' || u[14] != '1' {
		return false
	}
	for i := 0; i < 36; i++ {
		switch c := u[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		default:
			return false // upper case is kept verbatim, so "A" and "a" stay distinct uuids as Okta sent them
		}
	}
	return true
}
