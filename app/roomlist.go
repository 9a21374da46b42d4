package app

import (
	"mellium.im/xmpp"
)

// The rooms of a group chat service (XEP-0045 §6.3).

// ListRooms asks the group chat service (a domain such as
// conference.example.org; "" for the account's server's own, found by
// disco#items and disco#info of the server) for its public rooms, and the
// details of the first of them. A RoomList event answers.
func (c *Client) ListRooms(service string) { c.cmds.Push(cmdListRooms{service: service}) }

type cmdListRooms struct{ service string }

func (r *runner) listRooms(sess *xmpp.Session, cmd cmdListRooms) {
	r.emit(RoomList{base: r.b(), Service: cmd.service, Err: errNotYet})
}
