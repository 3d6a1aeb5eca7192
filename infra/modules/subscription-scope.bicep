// Deployed once per subscription in scope: a resource group holding that subscription's Event
// Grid system topic (ARM resource events) and its Service Health alert rule. Both are
// per-subscription by nature: a system topic's source and an activity-log alert's scope are
// the subscription itself.

targetScope = 'subscription'

metadata name = 'Lifeboat per-subscription wiring'
metadata description = 'Resource group, ARM system topic and Service Health alert rule in one subscription.'

@description('Required. Name of the resource group created in this subscription.')
param resourceGroupName string

@description('Required. Name of the Event Grid system topic.')
param systemTopicName string

@description('Required. Name of the Service Health activity-log alert rule.')
param alertRuleName string

@description('Required. Resource id of the action group the alert rule notifies.')
param actionGroupId string

@description('Required. Service Health incident types that fire the alert.')
param incidentTypes array

@description('Optional. Service Health region display names (e.g. East US) that fire the alert; empty means all.')
param regionNames array = []

@description('Optional. Region of the resource group (metadata only; the topic and rule are global).')
param location string = deployment().location

@description('Optional. Tags for every resource.')
param tags object = {}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module resources 'subscription-resources.bicep' = {
  name: take('${deployment().name}-resources', 64)
  scope: rg
  params: {
    subscriptionId: subscription().subscriptionId
    systemTopicName: systemTopicName
    alertRuleName: alertRuleName
    actionGroupId: actionGroupId
    incidentTypes: incidentTypes
    regionNames: regionNames
    tags: tags
  }
}

@description('The resource group holding this subscription\'s topic and alert rule.')
output resourceGroupName string = rg.name

@description('The system topic name.')
output systemTopicName string = resources.outputs.systemTopicName

@description('The principal id of the system topic identity (dead-lettering writes with it).')
output systemTopicPrincipalId string = resources.outputs.systemTopicPrincipalId
