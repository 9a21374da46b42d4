package app

import (
	"encoding/xml"
	"io"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/bookmarks"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/disco/info"
	"mellium.im/xmpp/ping"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/caps"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
)

// CapsNode is the node that names Palaver in its entity capabilities
// (XEP-0115 §4): a URI of the software.
const CapsNode = "https://palaver.im"

// NSStyling is the feature of message styling (XEP-0393).
const NSStyling = "urn:xmpp:styling:0"

// ownInfo is what Palaver tells others it is and does (XEP-0030 §3.1), so
// that their clients send receipt requests and chat states, and find it
// answers pings. Only what the core really handles is listed. It is the
// one source of the disco#info answer and of the caps ver in presence.
var ownInfo = disco.Info{
	Identity: []info.Identity{{Category: "client", Type: "pc", Name: "Palaver"}},
	Features: []info.Feature{
		{Var: disco.NSInfo},
		{Var: caps.NS}, // XEP-0115 §6.3: who sends caps says so
		{Var: ping.NS},
		{Var: im.NSReceipts},
		{Var: chatstate.NS},
		// XEP-0402 §3.2 (XEP-0163 §4.3): the server sends us changes of
		// the account's bookmarks made by its other clients.
		{Var: bookmarks.NSNotify},
		// XEP-0084 §4.3: the server sends us our contacts' avatar
		// metadata (pepavatar.go).
		{Var: nsAvatarNotify},
		// XEP-0393 §3: bodies are shown with message styling (the views
		// draw it; the core sends and stores bodies as they are).
		{Var: NSStyling},
		// XEP-0308 §2: we correct our last message and show the
		// corrections of others.
		{Var: im.NSCorrect},
		// XEP-0444 §2 and XEP-0461 §3: we show and send reactions (in
		// one-to-one chats and rooms) and replies (in one-to-one chats;
		// reactions.go; the core also sends and keeps them in rooms,
		// roomcorrect.go).
		{Var: im.NSReactions},
		{Var: im.NSReply},
	},
}

// ownCaps is the <c/> of every available presence Palaver sends
// (XEP-0115 §4), computed once: the server and every contact's client
// ask for it by node#ver, and Prosody asks each time we sign in.
var ownCaps = func() caps.Caps {
	ver, err := caps.Ver(caps.SHA1, ownInfo)
	if err != nil {
		panic("our own disco#info is ill-formed: " + err.Error())
	}
	return caps.Caps{Hash: caps.SHA1, Node: CapsNode, Ver: ver}
}()

// The disco#info answers, encoded once: to a query without a node, and to
// one for our node#ver (XEP-0115 §6.2), which echoes the node.
var (
	ownInfoTokens        = infoTokens("")
	ownInfoTokensNodeVer = infoTokens(ownCaps.NodeVer())
)

func infoTokens(node string) []xml.Token {
	i := ownInfo
	i.Node = node
	toks, err := xmlstream.ReadAll(i.TokenReader())
	if err != nil {
		panic("encoding our own disco#info: " + err.Error())
	}
	return toks
}

// tokens replays a token list.
type tokens []xml.Token

// Token returns a copy of the next token of the list: the lists are shared
// (by every session, every Client), and mellium's session encoder filters
// a start element's attributes in place (stanzaEncoder.EncodeToken,
// session.go, v0.23.0), which raced between two Clients sending presence.
func (t *tokens) Token() (xml.Token, error) {
	if len(*t) == 0 {
		return nil, io.EOF
	}
	tok := xml.CopyToken((*t)[0])
	*t = (*t)[1:]
	return tok, nil
}

// withOwnCaps adds our <c/> to the presence that p encodes, as its last
// child. mellium's xmlstream.Insert would do it, but it passes on a token
// that comes with io.EOF without looking at it (xmlstream v0.15.4,
// transformer.go), and im.Presence's reader ends with the presence's end
// element and io.EOF together: the <c/> was never added. A presence is a
// few tokens, read whole here.
func withOwnCaps(p xml.TokenReader) xml.TokenReader {
	toks, err := xmlstream.ReadAll(p)
	if err == nil && len(toks) == 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return xmlstream.ReaderFunc(func() (xml.Token, error) { return nil, err })
	}
	last := len(toks) - 1
	out := tokens(append(append(toks[:last:last], ownCapsTokens...), toks[last]))
	return &out
}

// ownCapsTokens is ownCaps encoded once.
var ownCapsTokens = func() []xml.Token {
	toks, err := xmlstream.ReadAll(ownCaps.TokenReader())
	if err != nil {
		panic("encoding our own caps: " + err.Error())
	}
	return toks
}()

// handleDiscoInfo answers a disco#info query to the account (XEP-0030
// §3.1), also for our caps node#ver (XEP-0115 §6.2). A query for another
// node (XEP-0030 §3.2) gets item-not-found: Palaver has none.
func (h *handler) handleDiscoInfo(iq stanza.IQ, t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	answer := ownInfoTokens
	for _, a := range start.Attr {
		if a.Name.Local != "node" || a.Name.Space != "" || a.Value == "" {
			continue
		}
		if a.Value != ownCaps.NodeVer() {
			_, err := xmlstream.Copy(t, iq.Error(stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}))
			return err
		}
		answer = ownInfoTokensNodeVer
	}
	query := tokens(answer)
	_, err := xmlstream.Copy(t, iq.Result(&query))
	return err
}
