package saslauth

// Receive exposes receive to the external tests.
var Receive = receive
