//go:build unix

package prosodytest

import (
	"io/fs"
	"syscall"
)

// canSearch reports whether the user uid, group gid may search the folder
// described by fi (supplementary groups are not considered).
func canSearch(fi fs.FileInfo, uid, gid int) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case int(st.Uid) == uid:
		return perm&0o100 != 0
	case int(st.Gid) == gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
