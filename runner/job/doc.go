// Package job turns a new_jobs entry of a Semaphore poll into a Job: the
// server's JobData with every access key it references resolved from the
// poll's access_keys map, validated, and the inventory repository copied back
// into place (the server ships it separately because the embedded field is
// json:"-" upstream).
//
// The package is pure: no I/O, no processes. A key id that the map lacks
// yields a zero key (type ""), which behaves like "no authentication", as in
// the stock runner; a key whose type is not one of Semaphore's four is an
// error, so a task never runs with half-understood credentials.
package job
