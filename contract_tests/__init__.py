"""The Labelf contract suite: ``pytest --pyargs labelf_testkit.contract_tests`` checks the mock (default) or, with
``--labelf-target=live``, the real service against the documentation and the RFCs.  See ``catalogue.CHECKS``."""
