package history

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crashEnv, when set, makes TestCrashSafety the writer child: the value is
// the archive's path.
const crashEnv = "PALAVER_HISTORY_CRASH_CHILD"

// crashBatch is the number of messages the child writes per transaction.
const crashBatch = 20

// TestCrashSafety kills a process that is writing to the archive and
// checks that the database is intact and holds every committed message,
// and no part of an uncommitted transaction.
func TestCrashSafety(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL on Windows")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child prints "committed <batch> <id>..." after each commit.
	committed := map[int64]int{} // id -> batch
	batches := 0
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	parse := func(line string) {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "committed" {
			return
		}
		b, err := strconv.Atoi(f[1])
		if err != nil {
			t.Errorf("bad line %q", line)
			return
		}
		for _, s := range f[2:] {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Errorf("bad line %q", line)
				return
			}
			committed[id] = b
		}
		batches++
	}
	const killAfter = 25 // transactions
	timeout := time.After(60 * time.Second)
	for batches < killAfter {
		select {
		case line, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("child exited after %d transactions", batches)
			}
			parse(line)
		case <-timeout:
			cmd.Process.Kill()
			t.Fatalf("child wrote only %d transactions in 60 s", batches)
		}
	}
	// The child is in the middle of its next transaction now.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for line := range lines { // what it printed before it died
		parse(line)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("child was not killed")
	}

	s, err := Open(path)
	if err != nil {
		t.Fatalf("reopening after the crash: %v", err)
	}
	defer s.Close()
	var check string
	if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	if _, err := s.db.Exec(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("FTS index does not match the messages: %v", err)
	}
	rows, err := s.db.Query(`SELECT id, body FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := map[int64]bool{}
	perBatch := map[int]int{}
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			t.Fatal(err)
		}
		var b, i int
		if _, err := fmt.Sscanf(body, "batch %d message %d", &b, &i); err != nil {
			t.Fatalf("row %d: body %q", id, body)
		}
		if cb, ok := committed[id]; ok && cb != b {
			t.Errorf("row %d: body %q, committed in batch %d", id, body, cb)
		}
		found[id] = true
		perBatch[b]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id := range committed {
		if !found[id] {
			t.Errorf("committed message %d is missing", id)
		}
	}
	for b, n := range perBatch {
		if n != crashBatch {
			t.Errorf("batch %d has %d of %d messages: a transaction was torn", b, n, crashBatch)
		}
	}
	t.Logf("%d transactions acknowledged, %d in the archive", batches, len(perBatch))
}

// crashChild writes transactions to the archive at path until killed (or
// for at most a minute, should the parent be gone).
func crashChild(path string) {
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	deadline := time.Now().Add(time.Minute)
	for b := 0; time.Now().Before(deadline); b++ {
		ms := make([]Message, crashBatch)
		for i := range ms {
			ms[i] = Message{Peer: fmt.Sprintf("peer%d@example.org", b%5), StanzaID: fmt.Sprintf("s%d-%d", b, i),
				Time: t0.Add(time.Duration(b*crashBatch+i) * time.Second),
				Body: fmt.Sprintf("batch %d message %d %s", b, i, strings.Repeat("padding ", 50))}
		}
		ids, err := s.AddBatch(ctx, ms)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		line := "committed " + strconv.Itoa(b)
		for _, id := range ids {
			line += " " + strconv.FormatInt(id, 10)
		}
		// os.Stdout is unbuffered: once Println returns, the parent can
		// read the line even if this process is killed.
		fmt.Println(line)
	}
	os.Exit(0)
}
