package history

import (
	"path/filepath"
	"testing"
	"time"
)

func TestTmpInsert(t *testing.T) {
	ms := newTextGen(1).messages(5000, peerNames(50), benchStart, new(int))
	s, err := Open(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var sync string
	s.db.QueryRow("PRAGMA synchronous").Scan(&sync)
	st := time.Now()
	for _, m := range ms[:2000] {
		if _, _, err := s.Add(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("sync=%s add: %v/msg", sync, time.Since(st)/2000)
	st = time.Now()
	if _, err := s.AddBatch(ctx, ms[2000:]); err != nil {
		t.Fatal(err)
	}
	t.Logf("batch: %v/msg", time.Since(st)/3000)
}
