//go:build !unix

package prosodytest

import (
	"io/fs"
	"os"
)

// terminateSignal stops Prosody; there is no SIGTERM here.
var terminateSignal = os.Kill

// canSearch reports true: there are no Unix permissions to check.
func canSearch(fs.FileInfo, int, int) bool { return true }
