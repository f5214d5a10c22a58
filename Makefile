# netsift - the two set-up commands and a few helpers.  Everything real
# lives in CMakeLists.txt; this file installs what is missing and calls it.
#
#   make demo    install missing packages, build, capture the bundled sample
#   make test    install missing packages, build with ASan+UBSan, run every test
#   make fuzz    run every libFuzzer harness for FUZZ_SECONDS each
#   make bench   run the benchmark (bench/run)

BUILD      ?= build
TEST_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
# make test fuzzes each harness too (as many at once as there are cores):
# 30 s in CI (the whole run stays under CI's 20 minutes), 15 s on a developer's machine
TEST_FUZZ_SECONDS ?= $(if $(CI),30,15)
JOBS       ?= $(shell nproc)

.PHONY: all deps test-deps build demo test fuzz bench docs clean

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETSIFT_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@rm -rf demo-db
	$(BUILD)/netsift capture -r sample/sample.pcap --db-path demo-db --file-write --audit demo-db/audit
	@echo
	@echo "Stored in demo-db/headers.sqlite. Rows per table:"
	@for t in eth arp ip4 ip6 tcp udp icmp4 icmp6 dns mdns dhcp http; do \
	  printf '  %-6s %s\n' $$t "$$(sqlite3 demo-db/headers.sqlite "SELECT count(*) FROM $$t" 2>/dev/null || echo '?')"; \
	done
	@echo "Packets in demo-db/pcap/ ($$(sqlite3 demo-db/pcap-meta.sqlite 'SELECT count(*) FROM meta') indexed), devices in demo-db/fingerprint.sqlite,"
	@echo "audit records in demo-db/audit/ ($$(ls demo-db/audit/*.ncap.gz | wc -l) record files)."
	@echo "Try: sqlite3 demo-db/headers.sqlite 'SELECT qname, qtype FROM dns'"
	@echo "     $(BUILD)/netsift dump demo-db/audit/DNS.ncap.gz"
	@echo "     $(BUILD)/netsift query --db-path demo-db 'QUERY_FINGERPRINT 02:00:00:00:00:01 0 >= all'"

PLAIN_BUILD ?= build-plain
FIGURES    = $(abspath $(TEST_BUILD)/figures)

# the sanitizer build runs every test; a plain build serves valgrind and
# the live-load rates; the figures the tests measure become docs/reliability.md
test: test-deps
	@CC=clang cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNETSIFT_SANITIZE=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)
	@cmake -S . -B $(PLAIN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETSIFT_TESTS=OFF >/dev/null
	@cmake --build $(PLAIN_BUILD) -j $(JOBS) --target netsift
	@rm -rf $(FIGURES) && mkdir -p $(FIGURES)
	@cd $(TEST_BUILD) && FIGURES_DIR=$(FIGURES) NETSIFT_PLAIN=$(abspath $(PLAIN_BUILD)/netsift) \
	  ctest --output-on-failure -j $(JOBS)
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNETSIFT_FUZZ=ON -DNETSIFT_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@FIGURES_DIR=$(FIGURES) tests/fuzz/run.sh $(FUZZ_BUILD) $(TEST_FUZZ_SECONDS)
	@tests/reliability-doc.sh $(FIGURES) > docs/reliability.md

fuzz: test-deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNETSIFT_FUZZ=ON -DNETSIFT_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	@scripts/install-deps.sh --bench
	@bench/run

docs: build
	@$(BUILD)/netsift schema --markdown > docs/schema.md

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(PLAIN_BUILD) $(FUZZ_BUILD) demo-db
