// Command mayfly-demo shows the whole mayfly chain on one machine: it starts
// the in-memory Semaphore server (runner/semaphoretest) with a runner whose
// webhook points at `mayfly serve`, starts `mayfly serve` as a subprocess,
// makes a git repository with a sample bash task (and an Ansible playbook
// when ansible-playbook is installed), queues the tasks, and prints each
// task log as Semaphore would show it. Semaphore's webhook makes serve launch
// one `mayfly run --task-id N` process per task.
package main
