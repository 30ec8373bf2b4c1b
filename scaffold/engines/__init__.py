"""The engines behind the checks (scaffold/checks): secrets, dependencies,
Terraform and cost, risky code, licenses, tests, prompts, risk, and the tools they run."""
