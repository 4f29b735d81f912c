package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecode: Decode never panics; it either returns a valid event or an
// error that is ErrBodyTooLarge or ErrBadRequest; a valid event survives a
// round trip through its own JSON encoding. Seeds: testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"action":"start","project_id":1,"task_id":2,"template_id":3,"runner_id":4}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Decode(bytes.NewReader(body))
		if err != nil {
			if !errors.Is(err, ErrBodyTooLarge) && !errors.Is(err, ErrBadRequest) {
				t.Fatalf("unclassified error %v", err)
			}
			if ev != (Event{}) {
				t.Fatalf("error %v with a non-zero event %+v", err, ev)
			}
			return
		}
		if ev.Action != ActionStart && ev.Action != ActionFinish {
			t.Fatalf("accepted action %q", ev.Action)
		}
		if ev.TaskID <= 0 {
			t.Fatalf("accepted task_id %d", ev.TaskID)
		}
		if len(body) > MaxBodyBytes {
			t.Fatalf("accepted a body of %d bytes", len(body))
		}
		again, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := Decode(bytes.NewReader(again))
		if err != nil || ev2 != ev {
			t.Fatalf("round trip: %+v → %s → %+v, %v", ev, again, ev2, err)
		}
	})
}
