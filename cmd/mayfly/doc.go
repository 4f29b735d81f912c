// Command mayfly is the Semaphore UI runner that scales to zero: setup,
// registration, a classic polling runner (`start`), the one-off runner bound
// to one task (`run`), and the webhook receiver (`serve`).
package main
