# The two commands the README starts with. Both install what is missing first.
.PHONY: run test app setup dist

setup:
	bash scripts/setup.sh

# Build the desktop app (frontend embedded) and start it on the embedded defaults.
run: setup app
	bash scripts/run.sh

app: setup
	npx tauri build --debug --no-bundle

# The whole test suite: Rust (unit, integration, CLI), UI (svelte-check, vitest), and the
# real app in a real window under Xvfb.
test: setup
	bash scripts/test.sh

# The package users install: a release .deb with every library it needs declared, checked.
dist: setup
	node scripts/third-party-notices.mjs
	npx tauri build --bundles deb
	bash scripts/check-deb.sh target/release/bundle/deb/AnchorDesk_*_amd64.deb
