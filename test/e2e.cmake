ocib_add_e2e(e2e_oracles e2e/oracles_test.sh)
