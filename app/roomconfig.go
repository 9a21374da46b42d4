package app

import (
	"context"
	"encoding/xml"
	"errors"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/muc"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/dataform"
	"github.com/palaver-im/palaver/app/im"
)

// The owner's side of a room (XEP-0045 §10): its configuration form
// (§10.2) and its destruction (§10.9). The round trips run on the room
// worker (muc.go) like the admin items; the room need not be joined (the
// service knows its owners by bare JID), but the account must be online.

// NSRoomConfig is the FORM_TYPE of a room's configuration form (XEP-0045
// §15.5.3); its fields are named muc#roomconfig_*.
const NSRoomConfig = "http://jabber.org/protocol/muc#roomconfig"

// errNoForm is a configuration answer without a data form in it.
var errNoForm = errors.New("the room answered without a configuration form")

// RoomConfig asks the room (a bare JID) for its configuration form, which
// only its owners may have (XEP-0045 §10.2). A RoomConfigForm answers,
// with the form or why not (forbidden for others).
func (c *Client) RoomConfig(room string) { c.cmds.Push(cmdRoomConfig{room: room}) }

// SetRoomConfig submits the room's configuration form with values, by
// field name (muc#roomconfig_roomname, ...): only the fields given, which
// the room changes, with the form's FORM_TYPE. A boolean is "1" or "0", a
// multi-valued field a value each. A RoomConfigured says the room took
// them (occupants are told, status 104, and a RoomInfo follows for rooms
// we are in); a refusal is a CommandFailed with OpRoomConfig. At most
// dataform.MaxFields fields of dataform.MaxValues values are sent.
func (c *Client) SetRoomConfig(room string, values dataform.Values) {
	c.cmds.Push(cmdSetRoomConfig{room: room, values: clipValues(values)})
}

// DestroyRoom asks the room to destroy itself, with a reason (may be "")
// that occupants are told (XEP-0045 §10.9); only its owners may. Everyone
// in it, us too, gets a RoomLeft with LeftDestroyed; a refusal is a
// CommandFailed with OpDestroyRoom.
func (c *Client) DestroyRoom(room, reason string) {
	c.cmds.Push(cmdDestroyRoom{room: room, reason: im.Clip(reason, maxRoomText)})
}

type cmdRoomConfig struct{ room string }

type cmdSetRoomConfig struct {
	room   string
	values dataform.Values
}

type cmdDestroyRoom struct{ room, reason string }

// ownerKind is what an owner's round trip does.
type ownerKind int

const (
	ownerGetConfig ownerKind = iota + 1
	ownerSetConfig
	ownerDestroy
)

// ownerJob is the room worker's job for an owner's round trip.
type ownerJob struct {
	kind   ownerKind
	values dataform.Values
	reason string
}

// clipValues copies v within the bounds of a form.
func clipValues(v dataform.Values) dataform.Values {
	out := make(dataform.Values, min(len(v), dataform.MaxFields))
	for name, vals := range v {
		if len(out) >= dataform.MaxFields {
			break
		}
		name = im.Clip(name, dataform.MaxText)
		if name == "" {
			continue
		}
		kept := make([]string, 0, min(len(vals), dataform.MaxValues))
		for _, s := range vals[:min(len(vals), dataform.MaxValues)] {
			kept = append(kept, im.Clip(s, maxRoomText))
		}
		out[name] = kept
	}
	return out
}

// queueOwner has the room worker carry out j for room: online only. A
// command that cannot go is answered as j's own answer would be.
func (r *runner) queueOwner(sess *xmpp.Session, room string, j ownerJob) {
	to, ok := parseRoom(room)
	var err error
	switch {
	case !ok:
		err = stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed}
	case sess == nil:
		err = ErrNotConnected
	}
	if err != nil {
		r.ownerFailed(room, j.kind, err)
		return
	}
	r.rooms.mu.Lock()
	r.rooms.init()
	r.rooms.jobs.Push(roomJob{room: to.String(), owner: &j})
	r.rooms.mu.Unlock()
}

// ownerFailed reports that the owner's round trip kind for room failed.
func (r *runner) ownerFailed(room string, kind ownerKind, err error) {
	switch kind {
	case ownerGetConfig:
		r.roomEvent(RoomConfigForm{base: r.b(), Room: room, Err: err})
	case ownerSetConfig:
		r.roomEvent(CommandFailed{base: r.b(), Op: OpRoomConfig, JID: room, Err: err})
	case ownerDestroy:
		r.roomEvent(CommandFailed{base: r.b(), Op: OpDestroyRoom, JID: room, Err: err})
	}
}

// ownerRoundTrip carries out the room worker's job j (XEP-0045 §10.2,
// §10.9) through sendIQ.
func (r *runner) ownerRoundTrip(ctx context.Context, sess *xmpp.Session, room string, j ownerJob) {
	to, err := jid.Parse(room)
	if err != nil {
		return
	}
	octx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	owner := xml.StartElement{Name: xml.Name{Space: muc.NSOwner, Local: "query"}}
	switch j.kind {
	case ownerGetConfig:
		var form dataform.Form
		err = sendIQ(octx, sess, stanza.IQ{Type: stanza.GetIQ, To: to}, xmlstream.Wrap(nil, owner),
			func(d *xml.Decoder, start *xml.StartElement) error {
				form, err = decodeConfigForm(d, start)
				return err
			})
		if err == nil {
			r.roomEvent(RoomConfigForm{base: r.b(), Room: room, Form: form})
			return
		}
	case ownerSetConfig:
		err = sendIQ(octx, sess, stanza.IQ{Type: stanza.SetIQ, To: to},
			xmlstream.Wrap(dataform.Submit(NSRoomConfig, j.values), owner), nil)
		if err == nil {
			r.roomEvent(RoomConfigured{base: r.b(), Room: room})
			return
		}
	case ownerDestroy:
		var reason xml.TokenReader
		if j.reason != "" {
			reason = textElem("reason", j.reason)
		}
		destroy := xmlstream.Wrap(reason, xml.StartElement{Name: xml.Name{Local: "destroy"}})
		err = sendIQ(octx, sess, stanza.IQ{Type: stanza.SetIQ, To: to}, xmlstream.Wrap(destroy, owner), nil)
		if err == nil {
			return // the room's presence tells its occupants, us too
		}
	}
	if ctx.Err() == nil {
		r.ownerFailed(room, j.kind, err)
	}
}

// decodeConfigForm reads the data form of a muc#owner <query/> that start
// opens (d is positioned after it); what follows the form is left.
func decodeConfigForm(d xml.TokenReader, start *xml.StartElement) (dataform.Form, error) {
	if start == nil || start.Name.Space != muc.NSOwner || start.Name.Local != "query" {
		return dataform.Form{}, errNoForm
	}
	// Other children are skipped, within a bound of tokens.
	depth := 0
	for n := 0; n < dataform.MaxTokens; n++ {
		tok, err := d.Token()
		if err != nil {
			return dataform.Form{}, errNoForm
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 && t.Name.Space == dataform.NS && t.Name.Local == "x" {
				return dataform.Decode(d, &t)
			}
			depth++
		case xml.EndElement:
			if depth == 0 {
				return dataform.Form{}, errNoForm
			}
			depth--
		}
	}
	return dataform.Form{}, dataform.ErrTooLarge
}
