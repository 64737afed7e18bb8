"""The tenant's audit log: who viewed or changed a confidential signal of which employee, and when."""
