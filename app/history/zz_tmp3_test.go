package history

import (
	"path/filepath"
	"testing"
	"time"
	"syscall"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestTmpPhases(t *testing.T) {
	ms := newTextGen(1).messages(3000, peerNames(50), benchStart, new(int))
	s, err := Open(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var tb, tl, ti, tc time.Duration
	c0 := cpuTime()
	w0 := time.Now()
	for _, m := range ms {
		a := time.Now()
		tx, _ := s.db.BeginTx(ctx, nil)
		ts := s.txStmts(ctx, tx)
		b := time.Now()
		var id int64
		ts.byStanzaID.QueryRowContext(ctx, m.Peer, m.StanzaID).Scan(&id)
		var sid string
		ts.byMsgID.QueryRowContext(ctx, m.Peer, m.MsgID, int(m.Dir), m.Body).Scan(&id, &sid)
		c := time.Now()
		_, err := ts.insert.ExecContext(ctx, m.Peer, int(m.Dir), m.MsgID, m.StanzaID, micros(m.Time), m.Delayed, m.DelayFrom, m.DelayReason, m.Body, int(m.State))
		if err != nil { t.Fatal(err) }
		d := time.Now()
		if err := tx.Commit(); err != nil { t.Fatal(err) }
		e := time.Now()
		tb += b.Sub(a); tl += c.Sub(b); ti += d.Sub(c); tc += e.Sub(d)
	}
	n := time.Duration(len(ms))
	t.Logf("begin %v lookups %v insert %v commit %v; wall %v cpu %v", tb/n, tl/n, ti/n, tc/n, time.Since(w0)/n, (cpuTime()-c0)/n)
}
