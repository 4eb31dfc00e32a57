// Package mail sends the enrollment server's notices: the outbox's sender, over
// SMTP.
//
// # The outbox
//
// The service never talks to a mail server. A change that tells someone of it
// (an invitation, 2FA turned on or off, a reset approved, a deadline) writes its
// mails to the store's outbox in the transaction of the change itself
// (store.Mail), so a mail exists if and only if the change committed, whatever
// happens to the SMTP server or to this process afterwards. The service composes
// each mail (its language, its text); this package only delivers what the outbox
// holds, and never adds anything to it.
//
// A Sender delivers it: Run claims the mails that are due, a few at a time
// (store.ClaimMails, which moves their next try a lease later, so that no other
// server instance takes them meanwhile), sends each, and records the outcome:
// MailSent, or MailFailed with the next try after an exponential backoff (30 s,
// doubling up to 1 h) and the reason, which is logged too. A mail is retried until
// it is delivered: none is lost while the SMTP server is down, however long, or
// refuses the session (a wrong password, a sender it does not take: mails go out
// once the configuration is fixed). Only a mail the server refuses for good (a 5xx
// to its recipient or its message: 550 no such user, 554 rejected) is not tried
// again (a Refusal): it stays in the outbox with the reason, logged as an error,
// and out of the outbox's depth.
// Nudge wakes the Sender at once (the service calls it after queueing); it also
// wakes every few seconds, for the mails another instance queued and the retries
// that came due. When Run's context ends, the mail in hand is finished and its
// outcome recorded; the others claimed with it come back when their lease ends.
//
// Sent once: a claim is exclusive for its lease, and every step of a delivery has
// a timeout, the whole batch ending well within the lease, so no other sender can
// take a mail while one is sending it. What SMTP cannot rule out is the reply to
// the final dot lost (the connection cut just then) or this process dying between
// the server's acceptance and MailSent: the mail is then sent again on the next
// try. Its Message-ID (from the outbox row's ID and its queueing time) and its
// Date are the same on every try, so the copy is the same message, which mail
// systems can recognise.
//
// # SMTP and TLS
//
// Config.Send delivers one mail on a connection of its own (a test mail, say);
// the Sender sends a batch on one connection. The client is the standard
// library's net/smtp, with a deadline on every step
// (connecting, the greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT).
// ParseURL reads the --smtp-url forms:
//
//	smtp://user:password@host:587     STARTTLS, required (port 587 by default)
//	smtps://user:password@host:465    TLS from the first byte (465 by default)
//	smtp://127.0.0.1:25               a local MTA: STARTTLS when offered, else plain
//	smtp://relay.lan:25?starttls=optional
//	                                  a relay on the network, without credentials,
//	                                  that may offer no STARTTLS
//
// STARTTLS is used whenever the server offers it, and the server's certificate is
// verified against the host's name (Config.TLS gives other roots, as the tests
// do). Plain text is accepted only towards a loopback address (a local MTA), or a
// relay explicitly marked starttls=optional, and never with credentials: AUTH
// PLAIN is sent only on a TLS connection (STARTTLS done, or smtps), and a server
// that offers no STARTTLS gets a sentence, not the password. A failed TLS
// handshake is an error, never a reason to go on in the clear. The password is
// redacted wherever a Config prints, and appears in no error or log line.
//
// Each message is text/plain in UTF-8, quoted-printable, with From, To, a Subject
// encoded as RFC 2047 words when it is not ASCII, Date, Message-ID,
// MIME-Version and Auto-Submitted headers; the outbox's text is never taken as
// headers (line breaks in a subject are spaces).
//
// Package mailtest is a real SMTP server on loopback for tests: plain, STARTTLS
// or implicit TLS, with or without AUTH, recording every message and what crossed
// the wire, and able to stop and start again on the same address.
package mail
