# Palaver: build, run and test.
#
#   make deps       install everything the tests need (Debian packages, Go
#                   modules, the npm packages of the OAuth test server)
#   make test       run the whole test suite with real services (Prosody,
#                   gnome-keyring, Xvfb); what CI runs (.ci/run)
#   make run        run the app: make run ARGS='-flag value'
#   make fuzz       run each fuzz target for FUZZTIME (20s)
#   make vet        gofmt and go vet
#   make package-linux  Palaver.tar.xz (fyne package) with the .desktop file
#                   that handles xmpp: links and the AppStream metainfo
#
# Debian packages are installed with apt-get (through sudo unless root), and
# only when missing. On other systems, install the equivalents by hand.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

GO       ?= go
ARGS     ?=
FUZZTIME ?= 20s

# Go needs CA certificates to reach the module proxy.
BASE_PKGS  := ca-certificates
# cgo and the OpenGL/X11 headers Fyne builds against.
BUILD_PKGS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
# What signing in needs at run time: xdg-open to start the system browser
# (OAuth, RFC 8252) and a Secret Service for the keychain (passwords,
# refresh tokens); a desktop has them, a minimal system may not.
RUN_PKGS   := xdg-utils gnome-keyring
# The real services the tests run against (see .ci/with-services and
# app/prosodytest), and the tools of the GUI smoke tests.
TEST_PKGS  := prosody gnome-keyring dbus dbus-x11 xvfb xauth xdotool imagemagick \
	tesseract-ocr tesseract-ocr-eng appstream desktop-file-utils xclip

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# The OAuth 2.0 authorization server of the tests (app/oauthtest): Node.js
# runs oidc-provider 9, which needs Node.js >= 20.18 (Debian 12's nodejs is
# 18: too old; Debian 13's is 20.19). Its npm packages are pinned by
# package.json and package-lock.json and installed with npm ci.
NODE_MIN     := 20.18.0
OAUTH_SERVER := app/oauthtest/server

# apt_install installs the Debian packages in $(1) that are missing. Before
# it installs prosody it adds a policy-rc.d that keeps services from
# starting, so that the system Prosody does not take the XMPP ports.
define apt_install
	if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then \
		echo "deps: not a Debian system; make sure these (or their equivalents) are installed: $(strip $(1))" >&2; \
		exit 0; \
	fi; \
	missing=""; \
	for p in $(1); do \
		if [ "$$(dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null)" != "install ok installed" ]; then \
			missing="$$missing $$p"; \
		fi; \
	done; \
	if [ -z "$$missing" ]; then \
		echo "deps: Debian packages present: $(strip $(1))"; \
		exit 0; \
	fi; \
	echo "deps: installing$$missing"; \
	case " $$missing " in \
	*" prosody "*) \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			echo "deps: creating /usr/sbin/policy-rc.d (exit 101) so that the system Prosody does not start"; \
			printf '#!/bin/sh\n# Created by make deps (Palaver): start no services on package installation.\nexit 101\n' \
				| $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null; \
			$(SUDO) chmod 0755 /usr/sbin/policy-rc.d; \
		fi;; \
	esac; \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update; \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing
endef

# node_deps checks for Node.js >= NODE_MIN and npm (installing Debian's
# nodejs when node is missing and Debian's is recent enough, and Debian's
# npm when npm is missing), then
# runs npm ci in OAUTH_SERVER when node_modules is missing or older than
# package.json or package-lock.json.
define node_deps
	node_version() { node --version 2>/dev/null | sed -n 's/^v\([0-9][0-9.]*\).*/\1/p'; }; \
	new_enough() { [ -n "$$1" ] && [ "$$(printf '%s\n' "$(NODE_MIN)" "$$1" | sort -V | head -n1)" = "$(NODE_MIN)" ]; }; \
	if ! command -v node >/dev/null && command -v apt-cache >/dev/null; then \
		candidate=$$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *\([0-9][0-9.]*\).*/\1/p'); \
		if new_enough "$$candidate"; then \
			( $(call apt_install,nodejs) ); \
		fi; \
	fi; \
	v=$$(node_version); \
	if ! new_enough "$$v"; then \
		echo "deps: Node.js >= $(NODE_MIN) is needed for the OAuth test server (oidc-provider 9), found: $${v:-none}." >&2; \
		echo "deps: Debian 12's nodejs (18) is too old: install Node.js 20 LTS or later (nodejs.org, NodeSource, or Debian 13), then run make deps again." >&2; \
		exit 1; \
	fi; \
	if ! command -v npm >/dev/null && command -v apt-cache >/dev/null \
		&& [ -n "$$(apt-cache policy npm 2>/dev/null | sed -n 's/^ *Candidate: *\([0-9]\)/\1/p')" ]; then \
		( $(call apt_install,npm) ); \
	fi; \
	if ! command -v npm >/dev/null; then \
		echo "deps: npm not found (Node.js $$v is): install npm (it comes with Node.js from nodejs.org or NodeSource; Debian: apt-get install npm)." >&2; \
		exit 1; \
	fi; \
	stamp=$(OAUTH_SERVER)/node_modules/.palaver-deps; \
	if cat $(OAUTH_SERVER)/package.json $(OAUTH_SERVER)/package-lock.json | cmp -s - "$$stamp"; then \
		echo "deps: npm packages of $(OAUTH_SERVER) up to date (Node.js $$v)"; \
	else \
		echo "deps: npm ci --prefix $(OAUTH_SERVER) (Node.js $$v)"; \
		npm ci --prefix $(OAUTH_SERVER) --ignore-scripts --no-audit --no-fund; \
		cat $(OAUTH_SERVER)/package.json $(OAUTH_SERVER)/package-lock.json > "$$stamp"; \
	fi
endef

.PHONY: deps deps-run test run fuzz vet package-linux

## deps: Debian packages, Go modules and npm packages for building, testing
## and running.
deps:
	@$(call apt_install,$(BASE_PKGS) $(BUILD_PKGS) $(RUN_PKGS) $(TEST_PKGS))
	@$(call node_deps)
	$(GO) mod download

## deps-run: only what building and running the app needs.
deps-run:
	@$(call apt_install,$(BASE_PKGS) $(BUILD_PKGS) $(RUN_PKGS))
	$(GO) mod download

## test: the whole suite, with the race detector, against real services.
## The timeout leaves room for a cold cgo build of the GUI inside the
## smoke tests (about 4 minutes on two cores).
test: deps
	.ci/with-services $(GO) test -race -count=1 -timeout 20m -v ./...

## run: run the app from source. Without a locale (LANG unset, C or POSIX)
## it uses LANG=C.UTF-8 and English, so that Fyne finds a language. Built
## as fyne package builds it (FyneApp.toml's fyneDo migration): without
## Fyne's thread checks, which the tests keep.
run: deps-run
	@lang="$${LANG:-C.UTF-8}"; \
	case "$$lang" in C|C.*|POSIX) export LANGUAGE="$${LANGUAGE:-en}";; esac; \
	echo "LANG=$$lang $(GO) run -tags migrated_fynedo . $(ARGS)"; \
	LANG="$$lang" $(GO) run -tags migrated_fynedo . $(ARGS)

## fuzz: each fuzz target for FUZZTIME.
fuzz: deps
	GO=$(GO) .ci/fuzz $(FUZZTIME)

## vet: formatting and go vet.
vet: deps
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:" $$unformatted >&2; exit 1; fi
	$(GO) vet ./...

## package-linux: Palaver.tar.xz as fyne package makes it (binary, icon,
## .desktop file, a Makefile to install them), with Palaver's own .desktop
## file in place of the one fyne package writes (which cannot say MimeType:
## the xmpp: link handler) and the AppStream metainfo added, both installed
## by the archive's Makefile. fyne package bumps Build in FyneApp.toml: the
## file is put back as it was.
package-linux: deps-run
	@keep=$$(mktemp); cp FyneApp.toml "$$keep"; \
	trap 'cp "$$keep" FyneApp.toml; rm -f "$$keep"' EXIT; \
	$(GO) tool fyne package -os linux -release; \
	id=im.palaver.palaver; tmp=$$(mktemp -d); \
	tar -xJf Palaver.tar.xz -C "$$tmp"; \
	share=$$(dirname "$$(find "$$tmp/usr" -path "*/share/applications/$$id.desktop")")/..; \
	install -m 0644 packaging/$$id.desktop "$$share/applications/$$id.desktop"; \
	install -D -m 0644 packaging/$$id.metainfo.xml "$$share/metainfo/$$id.metainfo.xml"; \
	sed -i -e '/^\t\(install\|-rm\) .*applications\/$$(AppID)\.desktop/{p;s/applications\/$$(AppID)\.desktop/metainfo\/$$(AppID).metainfo.xml/g}' "$$tmp/Makefile"; \
	tar -cJf Palaver.tar.xz -C "$$tmp" usr Makefile; \
	rm -rf "$$tmp"; \
	echo "package-linux: Palaver.tar.xz (install: tar -xJf Palaver.tar.xz && make user-install)"
