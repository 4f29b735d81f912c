package logstream

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactor(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		line    string
		want    string
	}{
		{"no secrets", nil, "password hunter22", "password hunter22"},
		{"one", []string{"hunter22"}, "password hunter22!", "password ********!"},
		{"every occurrence", []string{"hunter22"}, "hunter22 and hunter22", "******** and ********"},
		{"short strings ignored", []string{"abc", "", "x"}, "abc x", "abc x"},
		{"longest first", []string{"pass", "password1"}, "my password1 pass", "my ******** ********"},
		{"overlapping secrets leave nothing", []string{"abcd", "cdefgh"}, "xxabcdefghyy", "xx********yy"},
		{"overlapping occurrences", []string{"aaaa"}, "aaaaaa b", "******** b"},
		{"multi-line secret, line by line", []string{"-----BEGIN KEY-----\r\nMIIEabcdef\nxyz\n"}, "MIIEabcdef xyz", "******** xyz"},
		{"duplicates", []string{"sekret", "sekret"}, "sekret", "********"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Redactor // the zero value is ready
			for _, s := range tt.secrets {
				r.Add(s)
			}
			assert.Equal(t, tt.want, r.Redact(tt.line))
		})
	}
}

func TestRedactorConcurrentAddAndRedact(t *testing.T) {
	var r Redactor
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			r.Add("secret-" + strconv.Itoa(i))
		}
	})
	wg.Go(func() {
		for range 2000 {
			_ = r.Redact("a line with secret-1 in it")
		}
	})
	wg.Wait()
	assert.Equal(t, "a line with ******** in it", r.Redact("a line with secret-1 in it"))
	assert.Equal(t, "********0", r.Redact("secret-1000"), "secret-100, -10 and -1 overlap: one mask")
}

func TestRedactorSafeCut(t *testing.T) {
	var r Redactor
	r.Add("0123456789")
	buf := []byte("xxxxx0123456789yyyy")
	assert.Equal(t, 5, r.safeCut(buf, 8), "a cut inside a secret moves before it")
	assert.Equal(t, 5, r.safeCut(buf, 5), "a cut before it stays")
	assert.Equal(t, 15, r.safeCut(buf, 15), "a cut after it stays")
	assert.Equal(t, 3, (*Redactor)(nil).safeCut(buf, 3), "nil redactor")
}
