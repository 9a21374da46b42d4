package dataform_test

import (
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"mellium.im/xmlstream"

	"github.com/palaver-im/palaver/app/dataform"
	"github.com/palaver-im/palaver/app/internal/xmltest"
)

// split opens the first element of s: what follows its start, and the
// start.
func split(s string) (xml.TokenReader, *xml.StartElement, bool) {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, nil, false
		}
		if start, ok := tok.(xml.StartElement); ok {
			return xmlstream.InnerElement(d), &start, true
		}
	}
}

func decode(t testing.TB, s string) (dataform.Form, error) {
	t.Helper()
	r, start, ok := split(s)
	if !ok {
		t.Fatal("no element")
	}
	return dataform.Decode(r, start)
}

// prosodyForm is (part of) what Prosody 0.12 sends an owner (XEP-0045
// §10.2, Example 165), with whitespace and a layout element.
const prosodyForm = `<x xmlns='jabber:x:data' type='form'>
  <title>Configuration for tea@conference.localhost</title>
  <instructions>Complete and submit this form to configure the room.</instructions>
  <instructions>Second line.</instructions>
  <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>
  <field type='fixed'><value>Room information</value></field>
  <field type='text-single' label='Title' var='muc#roomconfig_roomname'><value>Tea</value></field>
  <field type='text-multi' label='Description' var='muc#roomconfig_roomdesc'>
    <desc>A longer description of the room</desc>
  </field>
  <field type='boolean' label='Only allow members to join' var='muc#roomconfig_membersonly'><value>0</value><required/></field>
  <field type='list-single' label='Maximum number of history messages returned by room' var='muc#roomconfig_historylength'>
    <value>20</value>
    <option label='10'><value>10</value></option>
    <option><value>20</value></option>
  </field>
  <field type='list-multi' var='muc#roomconfig_presencebroadcast' label='Roles whose presence is broadcast'>
    <value>moderator</value><value>participant</value>
    <option label='Moderator'><value>moderator</value></option>
    <option label='Participant'><value>participant</value></option>
    <option label='Visitor'><value>visitor</value></option>
  </field>
  <field type='jid-multi' var='muc#roomconfig_roomadmins'><value>a@b</value><value>c@d</value></field>
  <field type='text-private' var='muc#roomconfig_roomsecret' label='Password'/>
  <field var='no-type'><value>x</value></field>
  <field var='odd' type='made-up'/>
  <page xmlns='http://jabber.org/protocol/xdata-layout' label='Page'><fieldref var='x'/></page>
</x>`

func TestDecodeProsodyForm(t *testing.T) {
	f, err := decode(t, prosodyForm)
	if err != nil {
		t.Fatal(err)
	}
	want := dataform.Form{
		Type:         "form",
		Title:        "Configuration for tea@conference.localhost",
		Instructions: "Complete and submit this form to configure the room.\nSecond line.",
		Fields: []dataform.Field{
			{Var: "FORM_TYPE", Type: dataform.Hidden, Values: []string{"http://jabber.org/protocol/muc#roomconfig"}},
			{Type: dataform.Fixed, Values: []string{"Room information"}},
			{Var: "muc#roomconfig_roomname", Type: dataform.TextSingle, Label: "Title", Values: []string{"Tea"}},
			{Var: "muc#roomconfig_roomdesc", Type: dataform.TextMulti, Label: "Description", Desc: "A longer description of the room"},
			{Var: "muc#roomconfig_membersonly", Type: dataform.Boolean, Label: "Only allow members to join", Values: []string{"0"}, Required: true},
			{Var: "muc#roomconfig_historylength", Type: dataform.ListSingle, Label: "Maximum number of history messages returned by room",
				Values: []string{"20"}, Options: []dataform.Option{{Label: "10", Value: "10"}, {Value: "20"}}},
			{Var: "muc#roomconfig_presencebroadcast", Type: dataform.ListMulti, Label: "Roles whose presence is broadcast",
				Values:  []string{"moderator", "participant"},
				Options: []dataform.Option{{Label: "Moderator", Value: "moderator"}, {Label: "Participant", Value: "participant"}, {Label: "Visitor", Value: "visitor"}}},
			{Var: "muc#roomconfig_roomadmins", Type: dataform.JIDMulti, Values: []string{"a@b", "c@d"}},
			{Var: "muc#roomconfig_roomsecret", Type: dataform.TextPrivate, Label: "Password"},
			{Var: "no-type", Type: dataform.TextSingle, Values: []string{"x"}},
			{Var: "odd", Type: dataform.TextSingle},
		},
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("got\n%+v\nwant\n%+v", f, want)
	}
	if got := f.FormType(); got != "http://jabber.org/protocol/muc#roomconfig" {
		t.Errorf("FormType %q", got)
	}
	if fl, ok := f.Field("muc#roomconfig_roomname"); !ok || fl.Value() != "Tea" {
		t.Errorf("Field: %+v %v", fl, ok)
	}
	if _, ok := f.Field(""); ok {
		t.Error("a fixed field found by its empty var")
	}
}

// TestDecodeStopsAtEnd: the decoder reads the form and nothing after it.
func TestDecodeStopsAtEnd(t *testing.T) {
	d := xml.NewDecoder(strings.NewReader(`<q><x xmlns='jabber:x:data' type='form'><field var='a'/></x><after/></q>`))
	d.Token()
	tok, _ := d.Token()
	start := tok.(xml.StartElement)
	if _, err := dataform.Decode(d, &start); err != nil {
		t.Fatal(err)
	}
	tok, _ = d.Token()
	if s, ok := tok.(xml.StartElement); !ok || s.Name.Local != "after" {
		t.Errorf("next token %#v", tok)
	}
}

func many(n int, s string) string { return strings.Repeat(s, n) }

func TestDecodeBounds(t *testing.T) {
	long := strings.Repeat("é", dataform.MaxText)
	for i, tc := range []struct {
		in        string
		err       error
		fields    int
		truncated bool
		check     func(dataform.Form) bool
	}{
		0: {in: `<x xmlns='jabber:x:data'>` + many(dataform.MaxFields, `<field var='a'/>`) + `</x>`, fields: dataform.MaxFields},
		1: {in: `<x xmlns='jabber:x:data'>` + many(dataform.MaxFields+5, `<field var='a'/>`) + `</x>`, fields: dataform.MaxFields, truncated: true},
		2: {in: `<x xmlns='jabber:x:data'><field var='a'>` + many(dataform.MaxValues+1, `<value>v</value>`) + `</field></x>`, fields: 1, truncated: true,
			check: func(f dataform.Form) bool { return len(f.Fields[0].Values) == dataform.MaxValues }},
		3: {in: `<x xmlns='jabber:x:data'><field var='a'>` + many(dataform.MaxOptions+1, `<option><value>v</value></option>`) + `</field></x>`, fields: 1, truncated: true,
			check: func(f dataform.Form) bool { return len(f.Fields[0].Options) == dataform.MaxOptions }},
		4: {in: `<x xmlns='jabber:x:data'><title>` + long + `</title><field var='a' label='` + long + `'><value>` + long + `</value><desc>` + long + `</desc></field></x>`, fields: 1,
			check: func(f dataform.Form) bool {
				fl := f.Fields[0]
				for _, s := range []string{f.Title, fl.Label, fl.Value(), fl.Desc} {
					if len(s) > dataform.MaxText || !utf8.ValidString(s) || len(s) < dataform.MaxText-1 {
						return false
					}
				}
				return true
			}},
		5: {in: `<x xmlns='jabber:x:data'>` + many(dataform.MaxTokens/2, `<junk/>`) + `</x>`, err: dataform.ErrTooLarge},
		6: {in: `<x xmlns='jabber:x:data'>` + many(dataform.MaxBytes/dataform.MaxText+1, `<field var='a'><value>`+strings.Repeat("v", dataform.MaxText)+`</value></field>`) + `</x>`, err: dataform.ErrTooLarge},
		7: {in: `<x xmlns='jabber:x:data'><field var='a'><value>v</value>`, err: errors.New("any")},
		8: {in: `<x xmlns='urn:other'/>`, err: errors.New("any")},
		9: {in: `<x xmlns='jabber:x:data'><field var='a'><value>v<b>nested</b>w</value><required><junk/></required></field></x>`, fields: 1,
			check: func(f dataform.Form) bool { return f.Fields[0].Value() == "vw" && f.Fields[0].Required }},
	} {
		f, err := decode(t, tc.in)
		switch {
		case tc.err != nil && err == nil:
			t.Errorf("%d: no error", i)
		case tc.err == dataform.ErrTooLarge && !errors.Is(err, dataform.ErrTooLarge):
			t.Errorf("%d: %v, want ErrTooLarge", i, err)
		case tc.err == nil && err != nil:
			t.Errorf("%d: %v", i, err)
		case tc.err == nil:
			if len(f.Fields) != tc.fields || f.Truncated != tc.truncated || (tc.check != nil && !tc.check(f)) {
				t.Errorf("%d: %d fields, truncated %v: %+.200v", i, len(f.Fields), f.Truncated, f)
			}
		}
	}
}

func TestSubmit(t *testing.T) {
	got := xmltest.Encode(t, dataform.Submit("http://jabber.org/protocol/muc#roomconfig", dataform.Values{
		"muc#roomconfig_roomname":    {"Tea <&> room"},
		"muc#roomconfig_membersonly": {"1"},
		"FORM_TYPE":                  {"forged"},
		"":                           {"x"},
		"muc#roomconfig_roomadmins":  {"a@b", "c@d"},
		"muc#roomconfig_roomsecret":  {},
	}))
	want := `<x xmlns="jabber:x:data" type="submit">` +
		`<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roomconfig</value></field>` +
		`<field var="muc#roomconfig_membersonly"><value>1</value></field>` +
		`<field var="muc#roomconfig_roomadmins"><value>a@b</value><value>c@d</value></field>` +
		`<field var="muc#roomconfig_roomname"><value>Tea &lt;&amp;&gt; room</value></field>` +
		`<field var="muc#roomconfig_roomsecret"></field></x>`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// It reads back as it was meant.
	f, err := decode(t, got)
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != dataform.TypeSubmit || f.FormType() != "http://jabber.org/protocol/muc#roomconfig" || len(f.Fields) != 5 {
		t.Errorf("read back: %+v", f)
	}
	if fl, _ := f.Field("muc#roomconfig_roomname"); fl.Value() != "Tea <&> room" {
		t.Errorf("name read back: %+v", fl)
	}
}

// FuzzDecode: no input makes the decoder panic, keep more than its
// bounds, or keep text that is not clipped; what it keeps is sent back
// as it was.
func FuzzDecode(f *testing.F) {
	f.Add(prosodyForm)
	f.Add(`<x xmlns='jabber:x:data' type='result'><reported><field var='a'/></reported><item><field var='a'><value>1</value></field></item></x>`)
	f.Add(`<x xmlns='jabber:x:data'><field var='a' type='list-multi'><option label='l'><value>1</value><value>2</value></option></field></x>`)
	f.Add(`<x xmlns='jabber:x:data'><field><value>é</value></field><instructions/><title>t</title><title>u</title></x>`)
	f.Add(`<x xmlns='jabber:x:data'><field var='a'><value>`)
	f.Fuzz(func(t *testing.T, s string) {
		r, start, ok := split(s)
		if !ok {
			return
		}
		form, err := dataform.Decode(r, start)
		if err != nil {
			return
		}
		if len(form.Fields) > dataform.MaxFields {
			t.Fatalf("%d fields", len(form.Fields))
		}
		if len(form.Title) > dataform.MaxText || len(form.Instructions) > dataform.MaxInstructions {
			t.Fatal("title or instructions not clipped")
		}
		vals := dataform.Values{}
		for _, fl := range form.Fields {
			if len(fl.Values) > dataform.MaxValues || len(fl.Options) > dataform.MaxOptions {
				t.Fatalf("field with %d values and %d options", len(fl.Values), len(fl.Options))
			}
			for _, s := range append([]string{fl.Var, fl.Label, fl.Desc}, fl.Values...) {
				if len(s) > dataform.MaxText {
					t.Fatalf("%d bytes kept", len(s))
				}
			}
			switch fl.Type {
			case dataform.Boolean, dataform.Fixed, dataform.Hidden, dataform.JIDSingle, dataform.JIDMulti,
				dataform.ListSingle, dataform.ListMulti, dataform.TextMulti, dataform.TextPrivate, dataform.TextSingle:
			default:
				t.Fatalf("type %q kept", fl.Type)
			}
			if fl.Var != "" && fl.Var != "FORM_TYPE" {
				vals[fl.Var] = fl.Values
			}
		}
		// The submit form of the values encodes and reads back (text the
		// XML encoder must replace aside).
		back, err := decode(t, xmltest.Encode(t, dataform.Submit("urn:x", vals)))
		if err != nil {
			t.Fatalf("submit form does not read back: %v", err)
		}
		if n := min(len(vals)+1, dataform.MaxFields); back.FormType() != "urn:x" || len(back.Fields) != n {
			t.Fatalf("read back %d fields of %d", len(back.Fields), n)
		}
	})
}
