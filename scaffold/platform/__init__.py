"""What the platform team runs: template updates, the fleet, the hook store, the
platform's settings, the template's export to other engines, and the doctor."""
