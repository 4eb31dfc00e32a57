module github.com/wardauth/ward

go 1.26.0

require (
	filippo.io/age v1.3.2
	github.com/pquerna/otp v1.5.0
	github.com/zalando/go-keyring v0.2.8
	golang.org/x/sys v0.49.0
)

require (
	filippo.io/hpke v0.4.0 // indirect
	github.com/boombuler/barcode v1.0.1-0.20190219062509-6c824513bacc // indirect
	github.com/danieljoos/wincred v1.2.3 // indirect
	github.com/godbus/dbus/v5 v5.2.2 // indirect
	golang.org/x/crypto v0.55.0 // indirect
	golang.org/x/term v0.47.0 // indirect
)
