package app

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app/dataform"
)

// TestDecodeConfigForm: the form is found among the owner query's
// children; a query without one, or of another namespace, is no form.
func TestDecodeConfigForm(t *testing.T) {
	for i, tc := range []struct {
		in     string
		fields int
		err    error
	}{
		0: {in: `<query xmlns='` + muc.NSOwner + `'> <junk><x xmlns='jabber:x:data'/></junk> <x xmlns='jabber:x:data' type='form'><field var='a'/><field var='b'/></x></query>`, fields: 2},
		1: {in: `<query xmlns='` + muc.NSOwner + `'><junk/></query>`, err: errNoForm},
		2: {in: `<query xmlns='` + muc.NSOwner + `'/>`, err: errNoForm},
		3: {in: `<query xmlns='urn:other'><x xmlns='jabber:x:data'/></query>`, err: errNoForm},
		4: {in: `<query xmlns='` + muc.NSOwner + `'><junk>`, err: errNoForm},
		5: {in: `<query xmlns='` + muc.NSOwner + `'>` + strings.Repeat(`<j/>`, dataform.MaxTokens) + `</query>`, err: dataform.ErrTooLarge},
	} {
		d := xml.NewDecoder(strings.NewReader(tc.in))
		tok, _ := d.Token()
		start := tok.(xml.StartElement)
		f, err := decodeConfigForm(d, &start)
		if !errors.Is(err, tc.err) || len(f.Fields) != tc.fields {
			t.Errorf("%d: %d fields, %v; want %d, %v", i, len(f.Fields), err, tc.fields, tc.err)
		}
	}
	if _, err := decodeConfigForm(nil, nil); !errors.Is(err, errNoForm) {
		t.Errorf("no payload: %v", err)
	}
}

// TestClipValues: what SetRoomConfig sends stays within a form's bounds.
func TestClipValues(t *testing.T) {
	v := dataform.Values{"": {"x"}, "long": make([]string, dataform.MaxValues+3), strings.Repeat("n", dataform.MaxText+9): {strings.Repeat("v", maxRoomText+9)}}
	for i := range dataform.MaxFields + 10 {
		v["f"+strings.Repeat("x", i)] = []string{"1"}
	}
	got := clipValues(v)
	if len(got) > dataform.MaxFields {
		t.Errorf("%d fields", len(got))
	}
	if _, ok := got[""]; ok {
		t.Error("a field without a name kept")
	}
	for name, vals := range got {
		if len(name) > dataform.MaxText || len(vals) > dataform.MaxValues {
			t.Errorf("field of %d bytes with %d values", len(name), len(vals))
		}
		for _, s := range vals {
			if len(s) > maxRoomText {
				t.Errorf("value of %d bytes", len(s))
			}
		}
	}
}
