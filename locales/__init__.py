"""The gettext catalogs (vi, en), shipped as package data so an installed bot finds them."""
