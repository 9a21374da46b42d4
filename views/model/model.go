// Package model is what Palaver's views show, without Fyne: the accounts
// and their state, contacts keyed by (account, JID), the merged contact
// list, and the decisions an event batch calls for (Account.Apply returns
// them as Changes). The windows in package views render it; everything
// here is tested in plain Go.
//
// Nothing in it is safe for concurrent use: the UI goroutine owns it.
package model
