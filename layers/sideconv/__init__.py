"""Side conversations for the Atender helpdesk: the domain shared by every function."""
