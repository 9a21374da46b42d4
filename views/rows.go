package views

import "github.com/palaver-im/palaver/views/model"

// Row is one line of the contact list (see model.Row).
type Row = model.Row

// DefaultGroup is where contacts without a roster group are listed.
const DefaultGroup = model.DefaultGroup
